"""What a student calls in a notebook: ``check()`` and its scoreboard."""
