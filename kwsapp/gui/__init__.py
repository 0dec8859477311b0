"""The PySide6 window: a thin layer over the Qt-free core (kwsapp.core, kwsapp.engine, kwsapp.audio_input)."""
