.PHONY: run test bench

# Start the bot on SQLite with demo data, plus the Microsoft 365 Agents Playground.
run:
	scripts/run.sh

# Run every test (SQLite, a throwaway PostgreSQL cluster and the Agents Playground).
test:
	scripts/test.sh

# The benchmarks whose figures the README reports (a few minutes; not part of CI).
bench:
	scripts/bootstrap.sh
	.venv/bin/python bench/message_bench.py
	.venv/bin/python bench/faq_eval.py
	.venv/bin/python bench/report_bench.py
	.venv/bin/python bench/survey_bench.py
	.venv/bin/python bench/announcement_bench.py
