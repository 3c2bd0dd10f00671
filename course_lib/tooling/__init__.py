"""The course's tooling: building student notebooks (``authoring``), grading them (``grading``), the ``course`` command (``cli``).

It sits above everything else: it may import any package, and no package of the library imports it.
"""
