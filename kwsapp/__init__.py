"""kwsapp: keyword spotting for the TensorFlow Speech Recognition Challenge classes.

``kwsapp.core`` is the Qt-free, TensorFlow-free part shared by the trainer, the app and the tests.
"""

__version__ = "0.1.0"
