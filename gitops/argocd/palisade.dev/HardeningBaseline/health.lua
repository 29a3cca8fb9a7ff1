-- Argo CD health of a palisade.dev HardeningBaseline: Progressing until Palisade has read the
-- current spec, Degraded when it rejects the spec or keeps failing (Stalled), Healthy once it
-- applies the baseline. Drift of the governed namespaces is in the message, not the health:
-- a Degraded baseline would hold back later sync waves, including the one carrying the fix.
local function condition(status, type)
  for _, entry in ipairs(status.conditions or {}) do
    if entry.type == type then
      return entry
    end
  end
  return nil
end

local status = obj.status
if status == nil or status.observedGeneration == nil then
  return { status = "Progressing", message = "Waiting for Palisade to read the baseline" }
end
local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration < generation then
  return { status = "Progressing", message = "Waiting for Palisade to read generation " .. generation ..
    " (the status describes generation " .. status.observedGeneration .. ")" }
end
local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = stalled.reason .. ": " .. stalled.message }
end
local ready = condition(status, "Ready")
if ready == nil or ready.status == "Unknown" then
  return { status = "Progressing", message = "Waiting for Palisade to accept the baseline" }
end
if ready.status ~= "True" then
  return { status = "Degraded", message = ready.reason .. ": " .. ready.message }
end
local compliant = condition(status, "Compliant")
local message = "the spec is valid"
if compliant ~= nil then
  message = compliant.message
end
if status.drifted ~= nil and #status.drifted > 0 then
  message = message .. ": " .. table.concat(status.drifted, ", ")
end
return { status = "Healthy", message = message }
