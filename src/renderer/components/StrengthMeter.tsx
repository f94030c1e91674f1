import { MIN_LENGTH, passwordRefusal, passwordStrength } from '../../common/password-rule.js';

const METER_CLASS = ['bad', 'bad', 'fair', 'good', 'great'] as const;

/**
 * How strong the password is, live; while the rule refuses it, why (the button stays disabled),
 * otherwise the first hint to make it stronger.
 */
export function StrengthMeter({ password, id = 'strength' }: { password: string; id?: string }) {
  const strength = passwordStrength(password);
  const refusal = password ? passwordRefusal(password) : null;
  const filled = password ? Math.max(1, strength.score) : 0;
  return (
    <div className="meter" id={id} aria-live="polite">
      <div className="meter-track">
        {[0, 1, 2, 3].map((i) => (
          <span key={i} className={i < filled ? METER_CLASS[strength.score] : ''} />
        ))}
      </div>
      <span className="meter-label" data-testid="strength-label">
        {password ? `Strength: ${strength.label}` : `At least ${MIN_LENGTH} characters`}
      </span>
      {refusal ? (
        <p className="field-error" data-testid="password-refusal">
          {refusal}
        </p>
      ) : password && strength.hints[0] ? (
        <p className="hint">{strength.hints[0]}</p>
      ) : null}
    </div>
  );
}
