namespace Serverless.Runtime.Tests.Golden;

/// <summary>A fact that runs only when <c>RECORD_GOLDEN_HISTORIES=1</c>: it rewrites the checked-in fixtures.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RecordGoldenFactAttribute : FactAttribute
{
    public const string Variable = "RECORD_GOLDEN_HISTORIES";

    public RecordGoldenFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"Records the golden histories; run with {Variable}=1 to regenerate tests/Runtime.Tests/Golden/*.json.";
        }
    }
}
