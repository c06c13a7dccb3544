"""Code every function image carries: manifest store, function-to-function invocation, model table."""
