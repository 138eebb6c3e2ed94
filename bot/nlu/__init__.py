"""NLU: training data per language (`bot/nlu/<lang>/`), rules, and custom Rasa components."""
