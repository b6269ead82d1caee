"""The simulation engine: random streams, queues, state agents, requests, the model, records."""
