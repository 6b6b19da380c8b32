namespace Serverless.Functions;

/// <summary>Makes the function an activity. Put it on the parameter that receives the activity's input (any JSON-serializable type).</summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class ActivityTriggerAttribute : Attribute
{
}
