"""The world: states, treaty ties and their dates, from the packaged data files."""
