"""Homework 4: semantic segmentation with a fully convolutional network.

Modules, one idea each (see README.md for the handout):

    metrics.py      Task 1      ConfusionMatrix: IoU per class, mean IoU, pixel accuracy
    losses.py       Task 2      class_weights and the weighted cross-entropy
    models.py       Task 3      FCN: stride-2 down blocks, up-convolutions, skip connections
    transforms.py   Task 4      JointRandomFlip: flips an image and its mask together
    train.py        Task 5      the training entry point, also `python -m hw4.train`
    utils.py        given       the data pipeline, save_model / load_model
"""
