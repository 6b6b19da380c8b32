namespace Serverless.Runtime.Tests;

/// <summary>Input of <see cref="Counter.Forward"/>.</summary>
public sealed record CounterForward(string TargetKey, int Amount);
