"""Homework 2: a multi-layer perceptron, trained with a hand-written loop and TensorBoard.

Modules, one idea each (see README.md for the handout):

    models.py   Task 1  MLPClassifier: Flatten, then Linear + ReLU + Dropout blocks
                Task 2  init_weights: an initialisation that keeps activations at scale
    loop.py     Task 3  train_one_epoch / evaluate (make_optimizer is given)
    logger.py   Task 4  TrainingLogger: TensorBoard scalars under fixed tag names
    train.py    Task 5  the training entry point, also `python -m hw2.train`
    data.py     given   DataLoaders over the course image data
"""
