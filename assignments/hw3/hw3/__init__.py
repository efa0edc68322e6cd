"""Homework 3: a convolutional network with batch normalisation and residual blocks.

Modules, one idea each (see README.md for the handout):

    models.py       Tasks 1, 2  Block (a residual block) and CNNClassifier built from blocks
    transforms.py   Task 3      channel_stats, train_transform, valid_transform
    train.py        Task 4      the training entry point, also `python -m hw3.train`
    utils.py        given       the data pipeline, save_model / load_model
"""
