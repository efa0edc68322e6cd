"""Homework 5: a character-level recurrent language model.

Modules, one idea each (see README.md for the handout):

    models.py   Task 1  CharRNN: Embedding -> RNN / GRU / LSTM -> Linear, with its state
    loss.py     Task 2  next_char_loss (teacher forcing) and sequence_nll (nats per char)
    loop.py     Task 3  train_one_epoch with gradient-norm clipping (make_optimizer is given)
    sample.py   Task 4  sample: greedy and temperature sampling (make_generator is given)
    train.py    Task 5  the training entry point, also `python -m hw5.train`
    data.py     given   VOCAB, encode / decode, the token rows and their loader
"""
