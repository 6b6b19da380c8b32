namespace Serverless.Functions.Indexing;

/// <summary>Everything the host found in the app at start-up.</summary>
internal sealed class FunctionCatalog(IReadOnlyList<FunctionDescriptor> functions, IReadOnlyList<ClassTask> classTasks)
{
    public IReadOnlyList<FunctionDescriptor> Functions { get; } = functions;

    public IReadOnlyList<ClassTask> ClassTasks { get; } = classTasks;

    public IEnumerable<FunctionDescriptor> Of(FunctionTriggerType trigger) => Functions.Where(f => f.Trigger == trigger);
}
