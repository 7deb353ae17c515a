"""Reference tables we receive: administrative codes and the prefecture name history."""
