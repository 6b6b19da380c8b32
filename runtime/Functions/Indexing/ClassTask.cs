using Microsoft.DurableTask;

namespace Serverless.Functions.Indexing;

/// <summary>A class-based orchestrator, activity or entity found by its <see cref="DurableTaskAttribute"/>.</summary>
internal sealed record ClassTask(string Name, Type Type, FunctionTriggerType Kind);
