using System.Reflection;
using System.Reflection.Emit;

namespace DiffPrune.Tests.Architecture;

/// <summary>One type naming another: <see cref="From"/> uses <see cref="To"/>.</summary>
public readonly record struct TypeReference(Type From, Type To);

/// <summary>
/// Every type a type names: base type, interfaces, generic arguments, fields, properties, events, method and
/// constructor signatures, local variables, and the types, methods and fields named by tokens in method bodies' IL.
/// Constructed types (arrays, generics, by-refs) are unwrapped to the types they are built from.
/// </summary>
public static class TypeReferences
{
    const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(op => op.Value);

    /// <summary>The references of every type of <paramref name="assembly"/>, nested and compiler-generated types included.</summary>
    public static IEnumerable<TypeReference> Of(Assembly assembly) => assembly.GetTypes().SelectMany(Of);

    /// <summary>The references of <paramref name="type"/> alone (its nested types are types of their own).</summary>
    public static IEnumerable<TypeReference> Of(Type type)
    {
        var named = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (t.IsConstructedGenericType)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var a in t.GenericTypeArguments) Add(a);
                return;
            }
            named.Add(t);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(Declared)) Add(f.FieldType);
        foreach (var p in type.GetProperties(Declared)) Add(p.PropertyType);
        foreach (var e in type.GetEvents(Declared)) Add(e.EventHandlerType);
        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in BodyReferences(m)) Add(t);
        }
        named.Remove(type);
        return named.Select(to => new TypeReference(type, to));
    }

    /// <summary>Local variable types and every type, method or field token in the IL of <paramref name="method"/>.</summary>
    static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body is null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;
        var il = body.GetILAsByteArray() ?? [];
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            var op = OpCodesByValue[value];
            at += op.Size;
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                var member = method.Module.ResolveMember(BitConverter.ToInt32(il, at), typeArgs, methodArgs);
                foreach (var t in TypesOf(member)) yield return t;
            }
            at += OperandSize(op, il, at);
        }
    }

    static IEnumerable<Type> TypesOf(MemberInfo? member)
    {
        switch (member)
        {
            case Type t:
                yield return t;
                break;
            case FieldInfo f:
                yield return f.DeclaringType!;
                yield return f.FieldType;
                break;
            case MethodBase m:
                if (m.DeclaringType is not null) yield return m.DeclaringType;
                if (m is MethodInfo mi)
                {
                    yield return mi.ReturnType;
                    if (mi.IsGenericMethod) foreach (var a in mi.GetGenericArguments()) yield return a;
                }
                foreach (var p in m.GetParameters()) yield return p.ParameterType;
                break;
        }
    }

    static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
