using System.Runtime.InteropServices;
using DiffPrune.Pruning.Export.Onnx;
using DiffPrune.Tensors;
using Google.Protobuf;

namespace DiffPrune.Pruning.Export;

/// <summary>
/// Builds one ONNX graph in the default operator domain: initializers (weights stored little-endian in
/// <c>raw_data</c>), nodes whose outputs get fresh names, and graph inputs and outputs with fixed or symbolic dims.
/// Each <c>Node</c> call returns the name of its output, so a model is written as a chain of calls, op by op.
/// </summary>
internal sealed class OnnxGraphBuilder(string graphName)
{
    readonly GraphProto graph = new() { Name = graphName };
    readonly Dictionary<string, int> opCounts = [];
    readonly HashSet<string> names = [];

    /// <summary>A float32 initializer holding <paramref name="tensor"/>'s values under <paramref name="name"/>.</summary>
    public string Initializer(string name, Tensor tensor)
    {
        var proto = NewInitializer(name, TensorProto.Types.DataType.Float, tensor.Shape.Select(d => (long)d));
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(tensor.Data));
        return name;
    }

    /// <summary>A float32 scalar initializer.</summary>
    public string Scalar(string name, float value)
    {
        var proto = NewInitializer(name, TensorProto.Types.DataType.Float, []);
        proto.FloatData.Add(value);
        return name;
    }

    /// <summary>A 1-D int64 initializer (shapes, axes, K).</summary>
    public string Int64s(string name, params long[] values)
    {
        var proto = NewInitializer(name, TensorProto.Types.DataType.Int64, [values.Length]);
        proto.Int64Data.Add(values);
        return name;
    }

    TensorProto NewInitializer(string name, TensorProto.Types.DataType type, IEnumerable<long> dims)
    {
        Claim(name);
        var proto = new TensorProto { Name = name, DataType = (int)type };
        proto.Dims.Add(dims);
        graph.Initializer.Add(proto);
        return proto;
    }

    /// <summary>Appends an <paramref name="op"/> node with one output, named after <paramref name="prefix"/>; returns that name.</summary>
    public string Node(string op, string prefix, string[] inputs, params AttributeProto[] attributes) =>
        Node(op, prefix, inputs, 1, attributes)[0];

    /// <summary>Appends an <paramref name="op"/> node with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] Node(string op, string prefix, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        foreach (var input in inputs)
            if (!names.Contains(input)) throw new InvalidOperationException($"ONNX node {op} reads '{input}', which nothing defines yet");
        opCounts[op] = opCounts.GetValueOrDefault(op) + 1;
        string nodeName = $"{prefix}/{op}_{opCounts[op]}";
        var outputNames = Enumerable.Range(0, outputs).Select(i => outputs == 1 ? $"{nodeName}:out" : $"{nodeName}:out{i}").ToArray();
        foreach (var o in outputNames) Claim(o);
        var node = new NodeProto { Name = nodeName, OpType = op };
        node.Input.Add(inputs);
        node.Output.Add(outputNames);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
        return outputNames;
    }

    /// <summary>Declares a graph input; each dim is a size (int) or a symbolic name (string).</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Claim(name);
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Renames the value <paramref name="value"/> to <paramref name="name"/> (an Identity node) and declares it a graph output.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (!names.Contains(value)) throw new InvalidOperationException($"ONNX graph output '{name}' reads '{value}', which nothing defines");
        Claim(name);
        var node = new NodeProto { Name = $"{name}/Identity", OpType = "Identity" };
        node.Input.Add(value);
        node.Output.Add(name);
        graph.Node.Add(node);
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>The graph written so far.</summary>
    public GraphProto Graph => graph;

    void Claim(string name)
    {
        if (!names.Add(name)) throw new InvalidOperationException($"ONNX graph already has a value named '{name}'");
    }

    static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                _ => throw new ArgumentException($"an ONNX dim is a size or a symbolic name, not {d}"),
            });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    /// <summary>An int attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An ints attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }
}
