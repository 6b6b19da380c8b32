namespace Serverless.Runtime.Tests;

/// <summary>A data location (directory, or PostgreSQL schema named after it) shared by several hubs of one test (restarts); deleted at the end.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = TestHub.NewDirectory();
    }

    public string Path { get; }

    public static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a test over cleanup.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }

    public void Dispose()
    {
        TryDelete(Path);
        if (Environment.GetEnvironmentVariable(TestStores.PostgresVariable) is { Length: > 0 })
        {
            // The PostgreSQL schema named after the directory, if a test used one.
            TestStores.DropAsync(StoreKind.Postgres, Path).GetAwaiter().GetResult();
        }
    }
}
