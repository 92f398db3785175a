"""Identity: principals (people, bots, AI assistants acting for a person) and their tokens."""
