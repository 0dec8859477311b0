"""Evaluation on recordings: long test recordings made from held-out clips, replayed through the app's Listener
(kwsapp.engine.listener), scored, swept, calibrated to a room, and where their words are lost."""
