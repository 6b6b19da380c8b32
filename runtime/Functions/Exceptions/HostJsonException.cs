namespace Serverless.Functions;

/// <summary>host.json has an unknown or invalid value; <see cref="Path"/> is the JSON path of the value.</summary>
public sealed class HostJsonException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="HostJsonException"/> class.</summary>
    public HostJsonException(string path, string message, Exception? innerException = null)
        : base($"host.json: {path}: {message}", innerException)
    {
        Path = path;
    }

    /// <summary>Gets the JSON path of the bad value, e.g. <c>$.extensions.durableTask.hubName</c>.</summary>
    public string Path { get; }
}
