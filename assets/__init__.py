"""The bundled model, installed as the package data of ``kwsapp.assets`` (see pyproject.toml)."""
