"""What a teacher does before a class: release student versions, check the solutions."""
