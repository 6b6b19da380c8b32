# Company Hub: one container with the functions host (HTTP + the durable engine), for a Phala Cloud CVM (docs/deploy.md).
#   docker build -t <registry>/company-hub:<version> .
# scripts/container-smoke runs this file's `RUN dotnet ...` commands and `ENV` settings without Docker (the machines
# this project is developed on have no Docker engine); keep every build step a `RUN dotnet ...` line it can replay.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so that a code change does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY runtime/Serverless.Runtime.csproj runtime/
COPY CompanyHub.csproj ./
RUN dotnet restore CompanyHub.csproj
# Everything else the app compiles (CompanyHub.csproj names its folders); .dockerignore keeps out tests, docs, build
# output, local data and secrets.
COPY . .
RUN dotnet publish CompanyHub.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# State (SQLite databases, the host key; master.key only when neither MASTER_KEY nor the TEE gives the key) lives on
# the /data volume. No secret is baked in: they come from the environment at run time.
ENV DATA_DIR=/data \
    ASPNETCORE_URLS=http://0.0.0.0:18789 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
# The image's non-root user `app` (uid 1654) owns /data and nothing else; no one else may read it (the hub keeps it 0700 too).
RUN mkdir -p /data && chown app:app /data && chmod 700 /data
USER app
VOLUME ["/data"]
EXPOSE 18789
# The runtime image has no curl or wget: the app's own `healthcheck` command asks /healthz on the loopback address.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["dotnet", "CompanyHub.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "CompanyHub.dll"]
