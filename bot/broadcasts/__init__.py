"""NGO broadcasts: subscriptions' audience, a durable outbox, and the worker that sends it."""
