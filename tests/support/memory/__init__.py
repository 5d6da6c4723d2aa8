"""In-memory fakes of the DynamoDB repositories behind `Context`, with the same conditional-write contract."""
