"""Classroom mode: rooms with a join code, students who watch or fork the teacher's run, lessons."""
