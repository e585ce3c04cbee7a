"""The scheduler loop that moves runs along: steps, task drivers, for-each, launches, schedules."""
