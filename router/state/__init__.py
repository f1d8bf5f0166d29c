"""Router state in Redis: key names, scripts and the store."""
