"""The PySide6 window: a thin layer over the Qt-free core (kwsapp.core, kwsapp.runtime, kwsapp.audio_input)."""
