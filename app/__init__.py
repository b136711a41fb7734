"""Delivery Coordinator: the pure core (no ``js`` import anywhere under app/ except app/web)."""
