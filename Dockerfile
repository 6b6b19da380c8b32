# Company Hub: one container with the functions host (HTTP + the durable engine).
# Build: docker build -t company-hub .   Run: docker compose up (see docker-compose.yml and docs/deployment.md)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY runtime/Serverless.Runtime.csproj runtime/
COPY CompanyHub.csproj ./
RUN dotnet restore CompanyHub.csproj
COPY runtime/ runtime/
COPY functions/ functions/
COPY orchestrations/ orchestrations/
COPY activities/ activities/
COPY entities/ entities/
COPY integrations/ integrations/
COPY security/ security/
COPY wwwroot/ wwwroot/
COPY Program.cs host.json local.settings.sample.json ./
RUN dotnet publish CompanyHub.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# State (SQLite databases, the generated master key when MASTER_KEY is not set) lives on the /data volume.
ENV DATA_DIR=/data \
    ASPNETCORE_URLS=http://0.0.0.0:18789 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
RUN mkdir -p /data && chown app:app /data
USER app
VOLUME ["/data"]
EXPOSE 18789
ENTRYPOINT ["dotnet", "CompanyHub.dll"]
