-- Argo CD health of a palisade.dev PostureReport or ClusterPostureReport: Progressing until
-- Palisade has evaluated the scope, Degraded when the scope drifted from its baseline or
-- Palisade keeps failing (Stalled), Healthy otherwise. Reports are written by Palisade, never
-- synced from Git, so their health gates no sync wave.
local function condition(status, type)
  for _, entry in ipairs(status.conditions or {}) do
    if entry.type == type then
      return entry
    end
  end
  return nil
end

local status = obj.status or {}
local stalled = condition(status, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = stalled.reason .. ": " .. stalled.message }
end
local ready = condition(status, "Ready")
if ready == nil or ready.status == "Unknown" then
  return { status = "Progressing", message = "Waiting for Palisade to evaluate" }
end
if ready.status ~= "True" then
  return { status = "Degraded", message = ready.reason .. ": " .. ready.message }
end
local prefix = ""
if status.score ~= nil then
  prefix = "score " .. status.score .. "; "
end
local compliant = condition(status, "Compliant")
if compliant == nil then
  return { status = "Healthy", message = prefix .. ready.message }
end
if compliant.status == "False" then
  return { status = "Degraded", message = prefix .. compliant.reason .. ": " .. compliant.message }
end
return { status = "Healthy", message = prefix .. compliant.message }
