namespace DiffPrune.Tests.Pruning.Export;

/// <summary>A fact that needs ONNX Runtime through node (see <see cref="OnnxRuntimeNode"/>); skipped, saying what is missing, without it.</summary>
public sealed class OnnxRuntimeFactAttribute : FactAttribute
{
    /// <summary>Skips unless node and tools/onnx-check/node_modules/onnxruntime-node are there.</summary>
    public OnnxRuntimeFactAttribute()
    {
        if (OnnxRuntimeNode.Missing is string missing) Skip = $"ONNX Runtime cannot run: {missing}";
    }
}

/// <summary>A theory that needs ONNX Runtime through node; skipped, saying what is missing, without it.</summary>
public sealed class OnnxRuntimeTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless node and tools/onnx-check/node_modules/onnxruntime-node are there.</summary>
    public OnnxRuntimeTheoryAttribute()
    {
        if (OnnxRuntimeNode.Missing is string missing) Skip = $"ONNX Runtime cannot run: {missing}";
    }
}
