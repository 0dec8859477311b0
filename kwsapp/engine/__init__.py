"""The engine: from audio samples to announcements, Qt-free and TensorFlow-free. The model runtimes (LiteRT), the
front-ends of each kind of model, and the one Listener the app and every command that replays a recording use."""
