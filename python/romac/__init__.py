"""romac Python tools: model generators (the model zoo), plotting and helpers."""
