using System.Globalization;

namespace Serverless.DurableTask.Engine;

/// <summary>Reads a store's embedded, versioned schema scripts (<c>NNNN_name.sql</c>), in version order.</summary>
internal static class MigrationScripts
{
    public static IEnumerable<(int Version, string Name, string Sql)> Read(string resourcePrefix)
    {
        var assembly = typeof(MigrationScripts).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(resourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = resource[resourcePrefix.Length..^4];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name, reader.ReadToEnd());
        }
    }
}
