using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;

namespace Serverless.Host.Tests;

/// <summary>
/// runtime/ keeps only what Microsoft's packages do not ship: no type of it may carry the name of a public type of the
/// Durable Task SDK or of the Functions worker packages (a copy would shadow the real one in app code).
/// </summary>
public sealed class NoCopiedSdkTypesTests
{
    [Fact]
    public void Runtime_DefinesNoTypeNamedLikeAPublicTypeOfMicrosoftsPackages()
    {
        // Arrange: every public type of the Microsoft assemblies the app builds on.
        Assembly[] microsoft =
        [
            typeof(TaskOrchestrator<,>).Assembly,               // Microsoft.DurableTask.Abstractions
            typeof(DurableTaskClient).Assembly,                 // Microsoft.DurableTask.Client
            typeof(DurableTaskWorkerOptions).Assembly,          // Microsoft.DurableTask.Worker
            typeof(Microsoft.DurableTask.Worker.Grpc.GrpcOrchestrationRunner).Assembly,
            typeof(FunctionAttribute).Assembly,                 // Microsoft.Azure.Functions.Worker.Core
            typeof(FunctionContext).Assembly,
            typeof(HttpTriggerAttribute).Assembly,
            typeof(TimerTriggerAttribute).Assembly,
            typeof(OrchestrationTriggerAttribute).Assembly,     // Microsoft.Azure.Functions.Worker.Extensions.DurableTask
        ];
        var theirs = microsoft.Distinct().SelectMany(a => a.GetExportedTypes()).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("TaskOrchestrationContext", theirs);
        Assert.Contains("DurableClientAttribute", theirs);

        // Act
        var ours = typeof(Serverless.DurableTask.Worker.StoreDurableTaskWorker).Assembly.GetTypes()
            .Where(t => !t.IsNested && t.Namespace?.StartsWith("Serverless.", StringComparison.Ordinal) == true)
            .Select(t => t.FullName!)
            .ToList();
        Assert.NotEmpty(ours);

        // Assert
        var copies = ours.Where(name => theirs.Contains(name[(name.LastIndexOf('.') + 1)..])).ToList();
        Assert.True(copies.Count == 0, "runtime/ defines types named like Microsoft's: " + string.Join(", ", copies));
    }
}
