"""Input and output channels: vendor payloads in, Rasa messages through, replies out."""
