"""Homework 1: linear models in PyTorch.

Modules, one task each (see README.md for the handout):

    regression.py   Task 1  linear regression by gradient descent with autograd
    models.py       Task 2  LinearClassifier, one affine map from pixels to class scores
    losses.py       Task 3  ClassificationLoss, softmax cross-entropy written by hand
    train.py        Task 4  the training entry point, also `python -m hw1.train`
    utils.py        Task 5  save_model / load_model (plus the given data helpers)
"""
