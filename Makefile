.PHONY: run test bench

# Start the bot on SQLite with demo data, plus the Microsoft 365 Agents Playground.
run:
	scripts/run.sh

# Run every test (SQLite and a throwaway PostgreSQL cluster).
test:
	scripts/test.sh

bench:
	scripts/bootstrap.sh
	.venv/bin/python bench/message_bench.py
