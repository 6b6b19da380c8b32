namespace Serverless.Host.Tests.Sample;

/// <summary>A service the sample functions receive by constructor injection.</summary>
public sealed class Greeter
{
    public string Greet(string name) => $"Hello, {name}.";
}
