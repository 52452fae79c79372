"""A module of the app's own, imported from its folder as the Functions host allows."""


def greeting(city: str) -> str:
    return f"Hello {city}!"
