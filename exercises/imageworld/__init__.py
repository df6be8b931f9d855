"""The course image model's drawn world: vocabulary, scenes, captions and a pixel reader.

``vocabulary`` is pure Python (the web process uses it to mark which words of a prompt the
course model knows); ``world`` and ``reader`` need numpy and Pillow (workers, training, checks).
"""
