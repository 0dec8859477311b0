"""Qt-free and TensorFlow-free core: labels, audio loading, the feature function, the model folder.

Importing anything from here must never import TensorFlow or Qt (a test checks it).
"""
