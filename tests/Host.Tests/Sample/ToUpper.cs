using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>A class-based activity found by its [DurableTask] attribute.</summary>
[DurableTask]
public sealed class ToUpper : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(input.ToUpperInvariant());
}
