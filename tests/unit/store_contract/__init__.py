"""Each repository's contract, run against DynamoDB (moto) and its in-memory fake (tests/support/memory)."""
