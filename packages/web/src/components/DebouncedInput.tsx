/** A text input that reports its value after the user pauses typing (filters that query the server). */
import { useEffect, useRef, useState, type InputHTMLAttributes } from 'react';

export function DebouncedInput({ value, onValue, delayMs = 300, ...rest }: { value: string; onValue: (value: string) => void; delayMs?: number } & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const [text, setText] = useState(value);
  const latest = useRef(onValue);
  latest.current = onValue;
  useEffect(() => { setText(value); }, [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => latest.current(text), delayMs);
    return () => clearTimeout(timer);
  }, [text, value, delayMs]);
  return <input {...rest} value={text} onChange={(e) => setText(e.target.value)} />;
}
